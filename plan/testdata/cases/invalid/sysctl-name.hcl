# error at line 4: a sysctl name that climbs out of /proc/sys
lab "x" {}
jail "a" {
  sysctl = { "net/../../etc/passwd" = "x" }
}
