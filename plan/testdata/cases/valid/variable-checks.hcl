# Variables with validation rules, sensitive values and nullable.
lab "checks" {}

variable "routers" {
  type        = number
  default     = 3
  description = "How many routers"
  validation {
    condition     = var.routers >= 2
    error_message = "At least two routers."
  }
  validation {
    condition     = var.routers <= 9
    error_message = "At most nine routers, not ${var.routers}."
  }
}

variable "token" {
  type      = string
  default   = "s3cr3t-t0ken"
  sensitive = true
  validation {
    condition     = length(var.token) >= 8
    error_message = "The token needs at least 8 characters."
  }
}

variable "base" {
  type     = string
  default  = "10.1.0.0/16"
  nullable = false
  validation {
    condition     = can(cidrsubnet(var.base, 8, 0))
    error_message = "base must be a CIDR prefix with room for /24 subnets."
  }
}

variable "root" {
  type    = string
  default = null
  validation {
    condition     = var.root == null ? true : startswith(var.root, "/")
    error_message = "root must be an absolute path."
  }
}

locals {
  names = [for i in range(1, var.routers + 1) : "r${i}"]
  serve = ["/usr/bin/env", "TOKEN=${var.token}", "sleep", "1000"]
}

jail "r" {
  for_each   = toset(local.names)
  forwarding = true
  path       = var.root
}

link "r1-r2" {
  between = ["r1", "r2"]
  subnet  = cidrsubnet(var.base, 8, 12)
}

jail "web" {
  daemon "app" {
    command = local.serve
  }
}
