# error at line 6: a condition that gives a string
lab "x" {}
variable "name" {
  default = "r1"
  validation {
    condition     = "${var.name}-ok"
    error_message = "name must be good."
  }
}
