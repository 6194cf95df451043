using ElfActors.Contracts;

namespace ElfActors.Tests.Contracts;

/// <summary>
/// The one folder-trust rule that the runtime folder (<c>HostAddress</c>) and the record-file pool both apply: a private
/// folder is its user's, a real folder, writable by no one else; the folder holding it is its user's or root's, and
/// writable by others only when sticky. Modes as stat gives them (type bits and permission bits).
/// </summary>
public sealed class FolderTrustTests
{
    private const uint User = 1000, Other = 1001, Root = 0;
    private const uint Folder = 0x4000, Link = 0xA000, File = 0x8000, Sticky = 0x200;

    private static FileStatus Status(uint owner, uint mode) => new(owner, mode, Device: 1, Inode: 2);

    [Theory]
    [InlineData(User, Folder | 0x1C0, true)] // 0700
    [InlineData(User, Folder | 0x1ED, true)] // 0755: readable by others, still only its user can change it
    [InlineData(User, Folder | 0x1F8, false)] // 0770: the group may write
    [InlineData(User, Folder | 0x1FF | Sticky, false)] // 1777: sticky does not make a private folder
    [InlineData(Other, Folder | 0x1C0, false)]
    [InlineData(Root, Folder | 0x1C0, false)]
    [InlineData(User, Link | 0x1FF, false)]
    [InlineData(User, File | 0x180, false)]
    public void A_private_folder_is_its_users_a_folder_and_writable_by_no_one_else(uint owner, uint mode, bool expected) =>
        Assert.Equal(expected, Status(owner, mode).IsPrivateFolderOf(User));

    [Theory]
    [InlineData(User, Folder | 0x1ED, true)]
    [InlineData(Root, Folder | 0x1ED, true)] // /run/user, /home
    [InlineData(Root, Folder | 0x1FF | Sticky, true)] // /tmp
    [InlineData(Root, Folder | 0x1FF, false)] // world-writable, not sticky: anyone may rename the folder away
    [InlineData(User, Folder | 0x1F8, false)]
    [InlineData(Other, Folder | 0x1ED, false)]
    [InlineData(Other, Folder | 0x1FF | Sticky, false)]
    [InlineData(User, Link | 0x1FF, false)]
    public void A_folder_may_hold_a_private_folder_when_only_its_user_or_root_can_replace_it(uint owner, uint mode, bool expected) =>
        Assert.Equal(expected, Status(owner, mode).MayHoldPrivateFolderOf(User));
}
