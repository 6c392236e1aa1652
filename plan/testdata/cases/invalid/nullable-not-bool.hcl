# error at line 5: nullable takes true or false
lab "x" {}
variable "n" {
  default  = 1
  nullable = [false]
}
