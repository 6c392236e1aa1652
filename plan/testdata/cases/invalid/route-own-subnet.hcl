# error at line 4: a route to the subnet of one of the jail's own links
lab "x" {}
jail "a" {
  routes = { "10.0.0.0/24" = "10.0.0.2" }
}
jail "b" {}
link "a-b" {
  between = ["a", "b"]
  subnet  = "10.0.0.0/24"
}
