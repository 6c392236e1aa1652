# error at line 8: an IPv6 address on a link end
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between   = ["a", "b"]
  addresses = ["10.0.0.1/24",
  "fd00::2/64"]
}
