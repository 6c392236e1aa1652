# error at line 11: the first rule passes, the second fails
lab "x" {}
variable "prefix" {
  type    = string
  default = "r"
  validation {
    condition     = length(var.prefix) > 0
    error_message = "prefix must not be empty."
  }
  validation {
    condition = (
      length(var.prefix) >= 2
    )
    error_message = "prefix needs at least two characters."
  }
}
