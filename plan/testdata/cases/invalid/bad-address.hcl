# error at line 7: an address that does not parse
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between   = ["a", "b"]
  addresses = ["10.0.0.1/24", "ten.0.0.2/24"]
}
