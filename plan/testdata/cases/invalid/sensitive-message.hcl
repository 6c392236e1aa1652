# error at line 7: the message of a failed rule would show a sensitive value
lab "x" {}
variable "token" {
  default   = "abc"
  sensitive = true
  validation {
    condition     = length(var.token) >= 8
    error_message = "The token ${var.token} is too short."
  }
}
