# error at line 4: a static route in a jail with no links
lab "x" {}
jail "a" {
  routes = { default = "10.0.0.1" }
}
