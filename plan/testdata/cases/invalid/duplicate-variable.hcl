# error at line 6: a variable declared twice
lab "x" {}
variable "v" {
  default = 1
}
variable "v" {
  default = 2
}
