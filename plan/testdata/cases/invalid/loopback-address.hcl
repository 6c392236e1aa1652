# error at line 7: a loopback address on a link
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between   = ["a", "b"]
  addresses = ["127.1.0.1/24", "127.1.0.2/24"]
}
