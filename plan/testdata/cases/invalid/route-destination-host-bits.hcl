# error at line 4: a route destination with host bits set
lab "x" {}
jail "a" {
  routes = { "10.1.2.3/16" = "10.0.0.2" }
}
