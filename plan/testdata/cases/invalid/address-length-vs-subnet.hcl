# error at line 8: an address whose prefix length differs from the subnet
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between   = ["a", "b"]
  subnet    = "10.0.0.0/24"
  addresses = ["10.0.0.1/25", "10.0.0.2/24"]
}
