# error at line 7: a /32 address cannot hold a link
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between   = ["a", "b"]
  addresses = ["10.0.0.1/32", "10.0.0.2/32"]
}
