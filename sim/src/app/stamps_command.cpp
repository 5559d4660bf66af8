#include "lensforge/sim/app/stamps_command.hpp"

#include <filesystem>
#include <ostream>

#include "command_support.hpp"
#include "lensforge/sim/light/stamp_pack.hpp"

namespace lensforge {

int run_stamps_pack_command(const StampsPackCommandArgs& args, std::ostream& out, std::ostream& err) {
  StampPackOptions o;
  o.catalog_path = args.catalog_path;
  o.h5_path = args.output_path;
  o.catalog_out = args.catalog_out;
  o.overwrite = args.overwrite;
  if (!std::filesystem::is_regular_file(args.catalog_path))
    return app::report_error(err, "stamp catalog '" + args.catalog_path + "' not found", kExitBadInput);
  try {
    const StampPackSummary s = pack_stamp_library(o);
    out << "packed " << s.rows << " rows (" << s.datasets << " distinct stamps) into " << args.output_path << "; catalog "
        << s.catalog_out << std::endl;
    return kExitOk;
  } catch (const ConfigError& e) {
    return app::report_error(err, e.what(), kExitBadInput);
  } catch (const IoError& e) {
    return app::report_error(err, e.what(), kExitFailure);
  }
}

}  // namespace lensforge
