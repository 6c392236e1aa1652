# error at line 5: a default that does not match the variable's type
lab "x" {}
variable "count" {
  type    = number
  default = "many"
}
