# error at line 6: default and 0.0.0.0/0 are the same route
lab "x" {}
jail "a" {
  routes = {
    "0.0.0.0/0" = "10.0.0.2"
    default     = "10.0.0.2"
  }
}
