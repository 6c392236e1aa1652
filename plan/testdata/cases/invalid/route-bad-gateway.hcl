# error at line 4: a route gateway that is not an address
lab "x" {}
jail "a" {
  routes = { default = "router" }
}
