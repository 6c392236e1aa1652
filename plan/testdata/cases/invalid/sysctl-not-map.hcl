# error at line 4: sysctl given a string
lab "x" {}
jail "a" {
  sysctl = "net.inet.ip.forwarding=1"
}
