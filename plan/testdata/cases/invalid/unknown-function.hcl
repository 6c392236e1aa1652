# error at line 7: a call to a function that does not exist
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between = ["a", "b"]
  subnet  = cidrsplit("10.0.0.0/16", 8, 1)
}
