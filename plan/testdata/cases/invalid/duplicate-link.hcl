# error at line 9: two links with the same name
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between = ["a", "b"]
  subnet  = "10.0.0.0/24"
}
link "a-b" {
  between = ["b", "a"]
  subnet  = "10.0.1.0/24"
}
