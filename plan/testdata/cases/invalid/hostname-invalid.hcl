# error at line 4: a hostname whose label ends with a dash
lab "x" {}
jail "a" {
  hostname = "router-.lab"
}
