// Run by compose's one-shot `mongo-init` service against mongo1: initiates the replica set rs0
// unless it exists already (so a restart changes nothing), then waits until it has a primary.
const members = [
  { _id: 0, host: "mongo1:27017" },
  { _id: 1, host: "mongo2:27017" },
  { _id: 2, host: "mongo3:27017" },
];

let initiated = true;
try {
  rs.status();
} catch (error) {
  if (error.codeName !== "NotYetInitialized") throw error;
  initiated = false;
}
if (!initiated) {
  rs.initiate({ _id: "rs0", members });
  print("initiated replica set rs0");
}

const deadline = Date.now() + 60 * 1000;
while (!rs.status().members.some((member) => member.stateStr === "PRIMARY")) {
  if (Date.now() > deadline) throw new Error("replica set rs0 elected no primary in 60 s");
  sleep(1000);
}
print("replica set rs0 has a primary");
