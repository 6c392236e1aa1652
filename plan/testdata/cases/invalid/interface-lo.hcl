# error at line 8: an interface named lo
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between    = ["a", "b"]
  subnet     = "10.0.0.0/24"
  interfaces = ["lo", "em0"]
}
