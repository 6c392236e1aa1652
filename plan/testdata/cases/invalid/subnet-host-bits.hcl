# error at line 7: a subnet with host bits set
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between = ["a", "b"]
  subnet  = "10.0.0.5/24"
}
