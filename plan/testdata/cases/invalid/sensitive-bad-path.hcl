# error at line 8: a path from a sensitive variable that is not absolute
lab "x" {}
variable "root" {
  default   = "jails/secret"
  sensitive = true
}
jail "a" {
  path = "${var.root}/a"
}
