// Tests of the write-combining HDF5 file driver of DatasetWriter (sim/src/io/h5_buffered_driver):
// every read and the final file equal those of HDF5's default POSIX driver (sec2) for the same
// operations, through the driver interface and through HDF5 files with chunked datasets.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "../../sim/src/io/h5_buffered_driver.hpp"

using namespace lensforge;
using namespace lensforge::detail;
namespace fs = std::filesystem;

namespace {

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class H5BufferedDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() / ("lensforge_vfd_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string file(const std::string& name) const { return (root_ / name).string(); }

  H5Plist sec2_access() const {
    H5Plist fapl(H5Pcreate(H5P_FILE_ACCESS));
    EXPECT_GE(H5Pset_fapl_sec2(fapl.get()), 0);
    return fapl;
  }

  H5Context ctx_{"test"};
  H5BufferedDriver driver_{ctx_};
  fs::path root_;
};

/// One step of a random I/O sequence at the driver interface.
struct Op {
  enum Kind { WRITE, READ, FLUSH } kind;
  haddr_t addr = 0;
  std::size_t size = 0;
};

/// Mostly appends of 1 B .. 20 KiB (as HDF5 writes chunks), every 150th larger than the buffer,
/// rewrites of earlier bytes (in and out of the buffer), writes after a gap, reads anywhere
/// including past the end of the file, and flushes.
std::vector<Op> random_ops(std::mt19937& gen, int count) {
  std::vector<Op> ops;
  haddr_t end = 0;
  auto uniform = [&](std::uint64_t lo, std::uint64_t hi) {
    return std::uniform_int_distribution<std::uint64_t>(lo, hi)(gen);
  };
  for (int k = 0; k < count; ++k) {
    const std::uint64_t pick = uniform(0, 99);
    if (pick < 50 || k % 150 == 75) {
      const std::size_t size = k % 150 == 75 ? kWriteBufferBytes + uniform(0, 5000) : uniform(1, 20000);
      ops.push_back({Op::WRITE, end, size});
      end += size;
    } else if (pick < 65 && end > 0) {
      const haddr_t addr = uniform(0, end - 1);
      ops.push_back({Op::WRITE, addr, std::size_t(uniform(1, std::min<std::uint64_t>(end - addr + 100, 30000)))});
      end = std::max(end, ops.back().addr + ops.back().size);
    } else if (pick < 72) {
      const haddr_t addr = end + uniform(1, 3000);
      ops.push_back({Op::WRITE, addr, std::size_t(uniform(1, 20000))});
      end = addr + ops.back().size;
    } else if (pick < 95) {
      ops.push_back({Op::READ, uniform(0, end + 5000), std::size_t(uniform(1, 60000))});
    } else {
      ops.push_back({Op::FLUSH});
    }
  }
  return ops;
}

/// Runs `ops` on a new file; returns what every read and every get_eof gave, in order.
std::vector<std::string> run_ops(const std::string& path, hid_t fapl, const std::vector<Op>& ops, haddr_t eoa) {
  std::vector<std::string> seen;
  H5FD_t* f = H5FDopen(path.c_str(), H5F_ACC_RDWR | H5F_ACC_CREAT | H5F_ACC_TRUNC, fapl, HADDR_UNDEF);
  EXPECT_NE(f, nullptr);
  if (!f) return seen;
  EXPECT_GE(H5FDset_eoa(f, H5FD_MEM_DRAW, eoa), 0);
  std::uint64_t x = 7;  // the same bytes in every run
  for (const Op& op : ops) {
    if (op.kind == Op::WRITE) {
      std::string bytes(op.size, '\0');
      for (char& c : bytes) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        c = char(x >> 56);
      }
      EXPECT_GE(H5FDwrite(f, H5FD_MEM_DRAW, H5P_DEFAULT, op.addr, op.size, bytes.data()), 0);
    } else if (op.kind == Op::READ) {
      std::string bytes(op.size, 'x');
      EXPECT_GE(H5FDread(f, H5FD_MEM_DRAW, H5P_DEFAULT, op.addr, op.size, bytes.data()), 0);
      seen.push_back(std::move(bytes));
    } else {
      EXPECT_GE(H5FDflush(f, H5P_DEFAULT, false), 0);
    }
    seen.push_back(std::to_string(H5FDget_eof(f, H5FD_MEM_DRAW)));
  }
  // Truncate to an address space smaller than the file, then close (what H5Fclose does).
  EXPECT_GE(H5FDset_eoa(f, H5FD_MEM_DRAW, eoa / 2), 0);
  EXPECT_GE(H5FDtruncate(f, H5P_DEFAULT, true), 0);
  EXPECT_GE(H5FDclose(f), 0);
  return seen;
}

TEST_F(H5BufferedDriverTest, EveryReadAndTheFileEqualTheDefaultDriverOnARandomSequence) {
  std::mt19937 gen(20250131);
  const std::vector<Op> ops = random_ops(gen, 400);
  haddr_t eoa = 0;  // covers every write and read
  for (const Op& op : ops) eoa = std::max(eoa, op.addr + op.size);
  const H5Plist sec2 = sec2_access();
  const auto expected = run_ops(file("sec2.bin"), sec2.get(), ops, eoa);
  const std::string expected_file = read_bytes(root_ / "sec2.bin");
  EXPECT_EQ(expected_file.size(), eoa / 2);
  for (bool direct_io : {true, false}) {
    const H5Plist buffered = driver_.file_access(ctx_, direct_io);
    const auto seen = run_ops(file("buffered.bin"), buffered.get(), ops, eoa);
    ASSERT_EQ(seen.size(), expected.size());
    for (std::size_t k = 0; k < seen.size(); ++k)
      ASSERT_TRUE(seen[k] == expected[k]) << "result " << k << " differs, direct_io " << direct_io;
    EXPECT_TRUE(read_bytes(root_ / "buffered.bin") == expected_file) << "direct_io " << direct_io;
  }
}

/// An HDF5 file as DatasetWriter makes one: chunked datasets grown in blocks, one chunk per image
/// (direct chunk writes, and a filtered dataset through H5Dwrite), an attribute rewritten at
/// each flush (a few MiB between flushes, so some of it is written with O_DIRECT); images read
/// back before and after they were flushed.
void write_hdf5(const std::string& path, hid_t fapl) {
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  ASSERT_GE(f, 0);
  constexpr int kImages = 40, kNy = 128, kNx = 120;
  hid_t ds[3];
  const char* names[3] = {"d0", "d1", "d2"};
  for (int k = 0; k < 3; ++k) {
    const hsize_t dims[3] = {0, kNy, kNx}, maxdims[3] = {H5S_UNLIMITED, kNy, kNx}, chunk[3] = {1, kNy, kNx};
    const hid_t space = H5Screate_simple(3, dims, maxdims), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 3, chunk);
    H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
    H5Pset_obj_track_times(dcpl, 0);
    if (k == 2) H5Pset_deflate(dcpl, 1);
    ds[k] = H5Dcreate2(f, names[k], H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    ASSERT_GE(ds[k], 0);
    H5Pclose(dcpl);
    H5Sclose(space);
  }
  std::vector<float> img(kNy * kNx), back(img.size());
  const hsize_t count[3] = {1, kNy, kNx};
  const hid_t mem = H5Screate_simple(3, count, nullptr);
  for (int i = 0; i < kImages; ++i) {
    if (i % 16 == 0)
      for (hid_t d : ds) {
        const hsize_t dims[3] = {hsize_t(std::min(kImages, i + 16)), kNy, kNx};
        EXPECT_GE(H5Dset_extent(d, dims), 0);
      }
    for (int k = 0; k < 3; ++k) {
      for (std::size_t p = 0; p < img.size(); ++p) img[p] = float(i * 1000 + k) + 0.001f * float(p % 97);
      const hsize_t offset[3] = {hsize_t(i), 0, 0};
      if (k < 2) {
        EXPECT_GE(H5Dwrite_chunk(ds[k], H5P_DEFAULT, 0, offset, img.size() * sizeof(float), img.data()), 0);
      } else {
        const hid_t space = H5Dget_space(ds[k]);
        H5Sselect_hyperslab(space, H5S_SELECT_SET, offset, nullptr, count, nullptr);
        EXPECT_GE(H5Dwrite(ds[k], H5T_NATIVE_FLOAT, mem, space, H5P_DEFAULT, img.data()), 0);
        H5Sclose(space);
      }
    }
    if (i == 21)  // read back an unflushed image and a flushed one
      for (int j : {i, 3}) {
        const hid_t space = H5Dget_space(ds[0]);
        const hsize_t start[3] = {hsize_t(j), 0, 0};
        H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr);
        EXPECT_GE(H5Dread(ds[0], H5T_NATIVE_FLOAT, mem, space, H5P_DEFAULT, back.data()), 0);
        EXPECT_EQ(back[5], float(j * 1000) + 0.001f * 5.0f);  // as written above
        H5Sclose(space);
      }
    if (i % 16 == 15) {
      const std::int64_t written = i + 1;
      const hid_t scalar = H5Screate(H5S_SCALAR);
      if (H5Aexists(f, "num_written") > 0) H5Adelete(f, "num_written");
      const hid_t a = H5Acreate2(f, "num_written", H5T_STD_I64LE, scalar, H5P_DEFAULT, H5P_DEFAULT);
      H5Awrite(a, H5T_NATIVE_INT64, &written);
      H5Aclose(a);
      H5Sclose(scalar);
      EXPECT_GE(H5Fflush(f, H5F_SCOPE_LOCAL), 0);
    }
  }
  H5Sclose(mem);
  for (hid_t d : ds) H5Dclose(d);
  EXPECT_GE(H5Fclose(f), 0);
}

TEST_F(H5BufferedDriverTest, AnHdf5FileIsByteForByteWhatTheDefaultDriverWrites) {
  const H5Plist sec2 = sec2_access();
  write_hdf5(file("sec2.h5"), sec2.get());
  const std::string expected = read_bytes(root_ / "sec2.h5");
  EXPECT_GT(expected.size(), std::size_t(40 * 2 * 128 * 120 * 4));  // two uncompressed datasets
  for (bool direct_io : {true, false}) {
    const H5Plist buffered = driver_.file_access(ctx_, direct_io);
    write_hdf5(file("buffered.h5"), buffered.get());
    const std::string a = read_bytes(root_ / "buffered.h5");
    EXPECT_TRUE(a == expected) << a.size() << " vs " << expected.size() << " bytes, direct_io " << direct_io;
  }
}

TEST_F(H5BufferedDriverTest, TakesHdf5sFileLock) {
  const H5Plist buffered = driver_.file_access(ctx_);
  const hid_t f = H5Fcreate(file("locked.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, buffered.get());
  ASSERT_GE(f, 0);
  // While open for writing, the default driver (as a reader would) cannot open the file.
  H5ErrorSilencer quiet;
  const hid_t g = H5Fopen(file("locked.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  EXPECT_LT(g, 0);
  if (g >= 0) H5Fclose(g);
  EXPECT_NE(h5_error_text().find("unable to lock file"), std::string::npos);
  ASSERT_GE(H5Fclose(f), 0);
  const hid_t h = H5Fopen(file("locked.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  EXPECT_GE(h, 0);
  if (h >= 0) H5Fclose(h);
}

}  // namespace
