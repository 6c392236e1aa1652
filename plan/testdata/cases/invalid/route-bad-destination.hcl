# error at line 4: a route destination that is not a prefix
lab "x" {}
jail "a" {
  routes = { "10.0.0.0/33" = "10.0.0.2" }
}
