# error at line 7: an IPv6 subnet
lab "x" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between = ["a", "b"]
  subnet  = "fd00:1::/64"
}
