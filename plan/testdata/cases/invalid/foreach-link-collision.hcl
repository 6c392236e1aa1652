# error at line 10: a for_each link key that collides with another link
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between = ["a", "b"]
  subnet  = "10.0.0.0/24"
}
link "more" {
  for_each = { "a-b" = "10.0.1.0/24" }
  between  = ["a", "b"]
  subnet   = each.value
}
