"""Map the design's top-level folders into the single import package ``dbsense``."""

from setuptools import find_packages, setup

PACKAGE_ROOTS = {
    "dbsense": "dbsense",
    "dbsense.analyzers": "analyzers",
    "dbsense.engines": "engines",
    "dbsense.server": "server",
}


def mapped_packages() -> list[str]:
    packages = []
    for name, folder in PACKAGE_ROOTS.items():
        packages.append(name)
        packages.extend(f"{name}.{sub}" for sub in find_packages(folder))
    return packages


setup(packages=mapped_packages(), package_dir=PACKAGE_ROOTS)
