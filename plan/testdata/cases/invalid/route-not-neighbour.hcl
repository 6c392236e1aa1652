# error at line 4: a gateway on the link's subnet that is not the peer
lab "x" {}
jail "a" {
  routes = { default = "10.0.0.1" }
}
jail "b" {}
link "a-b" {
  between = ["a", "b"]
  subnet  = "10.0.0.0/24"
}
