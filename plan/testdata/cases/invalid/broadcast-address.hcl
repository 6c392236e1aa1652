# error at line 8: the broadcast address used as a host address
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between   = ["a", "b"]
  subnet    = "10.0.0.0/30"
  addresses = ["10.0.0.1/30", "10.0.0.3/30"]
}
