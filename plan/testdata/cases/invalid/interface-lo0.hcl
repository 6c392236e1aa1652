# error at line 8: an interface named lo0
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between    = ["a", "b"]
  subnet     = "10.0.0.0/24"
  interfaces = ["em0", "lo0"]
}
