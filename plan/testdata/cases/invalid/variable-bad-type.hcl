# error at line 4: a variable type that does not exist
lab "x" {}
variable "v" {
  type = integer
}
