# error at line 5: a null default for a variable that may not be null
lab "x" {}
variable "n" {
  type     = number
  default  = null
  nullable = false
}
