# error at line 8: an MTU over 65535
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between = ["a", "b"]
  subnet  = "10.0.0.0/24"
  mtu     = 70000
}
