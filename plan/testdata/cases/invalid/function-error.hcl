# error at line 7: cidrsubnet asked for more bits than an address has
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between = ["a", "b"]
  subnet  = cidrsubnet("10.0.0.0/24", 9, 1)
}
