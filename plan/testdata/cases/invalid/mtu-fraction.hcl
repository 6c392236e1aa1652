# error at line 8: an MTU that is not a whole number
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between = ["a", "b"]
  subnet  = "10.0.0.0/24"
  mtu     = 1500.5
}
