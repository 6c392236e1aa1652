# error at line 7: a misspelt variable name
lab "x" {}
variable "jail_root" {
  default = "/usr/jails"
}
jail "a" {
  path = "${var.jail_rot}/a"
}
