# error at line 8: up given a word that is not a bool
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between = ["a", "b"]
  subnet  = "10.0.0.0/24"
  up      = "maybe"
}
