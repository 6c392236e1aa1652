# error at line 8: for_each over a sensitive variable would show it in plans
lab "x" {}
variable "names" {
  default   = ["a", "b"]
  sensitive = true
}
jail "r" {
  for_each = toset(var.names)
}
