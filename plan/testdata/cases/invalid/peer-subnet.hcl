# error at line 7: an address not in its peer's subnet
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between   = ["a", "b"]
  addresses = ["10.0.0.1/24", "10.0.1.2/24"]
}
