# error at line 4: an IPv6 route gateway
lab "x" {}
jail "a" {
  routes = { "default" = "fd00::1" }
}
jail "b" {}
link "a-b" {
  between = ["a", "b"]
  subnet  = "10.0.0.0/24"
}
