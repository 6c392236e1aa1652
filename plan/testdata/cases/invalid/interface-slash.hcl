# error at line 8: an interface name with a slash
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between    = ["a", "b"]
  subnet     = "10.0.0.0/24"
  interfaces = ["eth/0", "em0"]
}
