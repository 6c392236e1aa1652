# error at line 5: a link name with a space
lab "x" {}
jail "a" {}
jail "b" {}
link "a b" {
  between = ["a", "b"]
  subnet  = "10.0.0.0/24"
}
