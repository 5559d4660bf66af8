// Rank, world size and rendezvous of data-parallel training from options and launchers' environments.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "lensforge/train/distributed.hpp"

namespace lensforge::train {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(DistributedOptions, NoLauncherIsOneProcess) {
  const DistributedOptions o = distributed_from_environment(env_of({}));
  EXPECT_EQ(o.world_size, 1);
  EXPECT_EQ(o.rank, 0);
  EXPECT_EQ(o.validate(), "");
}

TEST(DistributedOptions, OpenMpiOnOneMachineMeetsOnTheLoopback) {
  const DistributedOptions o = distributed_from_environment(
      env_of({{"OMPI_COMM_WORLD_RANK", "1"}, {"OMPI_COMM_WORLD_SIZE", "2"}, {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"}}));
  EXPECT_EQ(o.rank, 1);
  EXPECT_EQ(o.world_size, 2);
  EXPECT_EQ(o.init, "tcp://127.0.0.1:29500");
  EXPECT_EQ(o.validate(), "");
}

TEST(DistributedOptions, SlurmOnSeveralNodesUsesMasterAddr) {
  const DistributedOptions o = distributed_from_environment(env_of(
      {{"SLURM_PROCID", "3"}, {"SLURM_NTASKS", "8"}, {"SLURM_NNODES", "2"}, {"MASTER_ADDR", "node01"}, {"MASTER_PORT", "6000"}}));
  EXPECT_EQ(o.rank, 3);
  EXPECT_EQ(o.world_size, 8);
  EXPECT_EQ(o.init, "tcp://node01:6000");
  // Without MASTER_ADDR the processes of several nodes have no rendezvous: say what to give.
  const DistributedOptions none =
      distributed_from_environment(env_of({{"PMI_RANK", "0"}, {"PMI_SIZE", "4"}}));
  EXPECT_EQ(none.world_size, 4);
  EXPECT_NE(none.validate().find("give --dist-init file:///shared/path or tcp://HOST:PORT"), std::string::npos)
      << none.validate();
}

TEST(DistributedOptions, BadValuesNameTheProblem) {
  DistributedOptions o;
  o.world_size = 2;
  o.rank = 2;
  o.init = "tcp://h:1";
  EXPECT_EQ(o.validate(), "rank 2: must be in [0, 1]");
  o.rank = 0;
  o.init = "file://relative";
  EXPECT_NE(o.validate().find("needs an absolute path"), std::string::npos);
  o.init = "tcp://host";
  EXPECT_NE(o.validate().find("tcp://HOST:PORT with PORT in [1, 65535]"), std::string::npos);
  o.init = "udp://x:1";
  EXPECT_NE(o.validate().find("must start with file:// or tcp://"), std::string::npos);
}

}  // namespace
}  // namespace lensforge::train
