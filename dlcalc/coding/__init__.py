"""The joint and separate coders: payloads, sections, the ``.dlc`` container, the pipeline.

``docs/theory.md`` §5-§6; byte layout in ``docs/format.md``.

Payloads (§6)
    :func:`encode_payload`, :func:`decode_flips`: the digit functionals of a basis, bit by bit
Sections and decoders (§6)
    :class:`Sections`, :func:`joint_section`, :func:`separate_sections`, :func:`decode_joint`,
    :func:`decode_separate`
The ``.dlc`` container (§6)
    :class:`Container`, :func:`write_container`, :func:`read_container`, :func:`read_stream`, :func:`iter_stream`,
    :func:`split_containers`, :func:`peek_class`,
    :func:`iter_containers` (a stream's files one at a time, each read once)
The pipeline (§5-§6)
    :func:`encode`, :func:`decode`, :func:`verify`, :func:`run_coder` (encode, decode from the
    bytes, verify), :func:`coder_bounds`, :func:`instance_reference`; the workers of a weighed
    plan :func:`encode_class`, :func:`reference_of`, :func:`run_class`; records
    :class:`CoderResult`, :class:`Decoded`, :class:`Verification`
Export of decoded functions
    :func:`write_csv_export`, :func:`write_npz_export`
"""

from ._container import (
    FORMAT_VERSION,
    MAGIC,
    Container,
    header_dict,
    peek_class,
    read_container,
    split_containers,
    write_container,
)
from ._export import export_entries, write_csv_export, write_npz_export
from ._payload import decode_flips, encode_payload, payload_layout
from ._pipeline import (
    CODER_NAMES,
    CoderResult,
    Decoded,
    Verification,
    class_mismatch,
    coder_bounds,
    decode,
    decode_container,
    encode,
    encode_class,
    instance_reference,
    reference_of,
    run_class,
    run_coder,
    verify,
)
from ._sections import Sections, decode_joint, decode_separate, joint_section, separate_sections
from ._stream import iter_containers, iter_stream, read_stream

__all__ = [
    "decode_container",
    "iter_containers",
    "class_mismatch",
    "CODER_NAMES",
    "CoderResult",
    "Container",
    "Decoded",
    "FORMAT_VERSION",
    "MAGIC",
    "Sections",
    "Verification",
    "coder_bounds",
    "decode",
    "decode_flips",
    "decode_joint",
    "decode_separate",
    "encode",
    "encode_class",
    "encode_payload",
    "export_entries",
    "header_dict",
    "instance_reference",
    "joint_section",
    "payload_layout",
    "peek_class",
    "read_container",
    "iter_stream",
    "read_stream",
    "reference_of",
    "run_class",
    "run_coder",
    "separate_sections",
    "split_containers",
    "verify",
    "write_container",
    "write_csv_export",
    "write_npz_export",
]
