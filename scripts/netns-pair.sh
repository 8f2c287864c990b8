# Sourced by the network benchmarks: `netns_pair A B` makes two network namespaces joined by a
# veth pair (vA 10.99.0.1 in A, vB 10.99.0.2 in B), loopback up in each. The caller deletes them.
netns_pair() {
  ip netns add "$1"
  ip netns add "$2"
  ip link add vA netns "$1" type veth peer name vB netns "$2"
  ip -n "$1" addr add 10.99.0.1/24 dev vA
  ip -n "$2" addr add 10.99.0.2/24 dev vB
  for ns in "$1" "$2"; do ip -n "$ns" link set lo up; done
  ip -n "$1" link set vA up
  ip -n "$2" link set vB up
}
