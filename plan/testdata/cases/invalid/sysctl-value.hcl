# error at line 5: a sysctl value that is a list
lab "x" {}
jail "a" {
  sysctl = {
    "net.inet.ip.forwarding" = ["1"]
  }
}
