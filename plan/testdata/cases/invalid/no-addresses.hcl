# error at line 5: a link with neither subnet nor addresses
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between = ["a", "b"]
}
