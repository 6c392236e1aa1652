# error at line 5: sensitive takes true or false
lab "x" {}
variable "pw" {
  default   = "x"
  sensitive = "very"
}
