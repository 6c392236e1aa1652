# error at line 7: a /32 subnet cannot hold a link
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between = ["a", "b"]
  subnet  = "10.0.0.7/32"
}
